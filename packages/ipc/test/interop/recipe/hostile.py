# Sends what a hostile or careless peer could: each is refused by the Node side, which
# answers with the error code it got, and the connection goes on.
import os
import sys
from multiprocessing.connection import Client


class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


c = Client(('127.0.0.1', int(sys.argv[1])), authkey=b'peekaboo')
c.send(Evil())                                  # GLOBAL/STACK_GLOBAL posix.system + REDUCE
print(c.recv())
c.send(set)                                     # a class, not a value
print(c.recv())
c.send_bytes(b'\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01')  # truncated
print(c.recv())
c.send_bytes(b'N' + b'\x85' * 100_000 + b'.')   # a depth bomb: 100,000 nested tuples
print(c.recv())
c.send('still here')                            # the connection still works
print(c.recv())
c.close()
