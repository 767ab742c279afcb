import { NetError } from '@net/stream-reader';

// Error classes of @net/http-client: each extends NetError with a stable `code`.
export { NetError };
