// Compiled by test/types.test.ts with the esnext.float16 lib, against the built types.
import { type NumericArray, recvArray, sendArray } from '@net/bulk-transfer';

declare const half: Float16Array;
declare const socket: import('node:net').Socket;

const numeric: NumericArray = half; // the README promises Float16Array where Node has one
await sendArray(socket, numeric);
const got = await recvArray(socket);
if (got !== null && got.array instanceof Float16Array) got.array.fill(0.5);
