# Recipe 11.13 of the Python Cookbook (3rd ed.), "Sending and Receiving Large Arrays": the
# recipe's sending side, as the book gives it (it serves one connection), changed only so
# that a test can run it:
# - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default 25000,
#   the recipe's) and prints the bound port on its first line;
# - the element count comes from argv (default the book's 50,000,000 doubles, 400 MB).
# Needs NumPy (Debian: /usr/bin/python3, with python3-numpy).
#
# usage: /usr/bin/python3 recipe_server.py [PORT] [COUNT]
import sys
from zerocopy import send_from
from socket import *

port = int(sys.argv[1]) if len(sys.argv) > 1 else 25000
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50000000

s = socket(AF_INET, SOCK_STREAM)
s.bind(('127.0.0.1', port))
s.listen(1)
print(s.getsockname()[1], flush=True)  # added: the bound port
c,a = s.accept()

import numpy
a = numpy.arange(0.0, float(count))
send_from(a, c)
c.close()
