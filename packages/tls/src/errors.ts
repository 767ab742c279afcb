import { NetError } from '@net/stream-reader';

// Error classes of @net/tls: each extends NetError with a stable `code`.
export { NetError };
