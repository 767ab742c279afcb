// Compiled by test/types.test.ts with a lib that has no Float16Array (ES2023), against the
// built types: they must compile there too.
import { type NumericArray, recvArray } from '@net/bulk-transfer';

declare const socket: import('node:net').Socket;

const got = await recvArray(socket);
const numeric: NumericArray | undefined = got?.array;
if (numeric instanceof Float64Array) numeric.fill(1);
