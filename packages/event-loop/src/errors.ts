import { NetError } from '@net/stream-reader';

// Error classes of @net/event-loop: each extends NetError with a stable `code`.
export { NetError };
