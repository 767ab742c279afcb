# Recipe 11.7's client, the recipe's interactive session as a script: three objects sent
# with c.send() come back from c.recv(), printed as the interpreter shows them:
# 'hello', 42, [1, 2, 3, 4, 5]. Changed only so that a test can run it: the port comes
# from argv (default 25000, the recipe's) and each reply is printed.
#
# usage: python3 recipe_client.py [PORT]
import sys
from multiprocessing.connection import Client

port = int(sys.argv[1]) if len(sys.argv) > 1 else 25000
c = Client(('127.0.0.1', port), authkey=b'peekaboo')
c.send('hello')
print(repr(c.recv()))
c.send(42)
print(repr(c.recv()))
c.send([1, 2, 3, 4, 5])
print(repr(c.recv()))
