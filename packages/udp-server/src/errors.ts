import { NetError } from '@net/stream-reader';

// Error classes of @net/udp-server: each extends NetError with a stable `code`.
export { NetError };
