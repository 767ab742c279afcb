import { NetError } from '@net/stream-reader';

// Error classes of @net/hmac-auth: each extends NetError with a stable `code`.
export { NetError };
