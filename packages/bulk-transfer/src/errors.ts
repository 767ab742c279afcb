import { NetError } from '@net/stream-reader';

// Error classes of @net/bulk-transfer: each extends NetError with a stable `code`.
export { NetError };
