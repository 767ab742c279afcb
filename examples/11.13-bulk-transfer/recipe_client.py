# Recipe 11.13 of the Python Cookbook (3rd ed.), "Sending and Receiving Large Arrays": the
# recipe's receiving side, as the book gives it, changed only so that a test can run it:
# - it connects to 127.0.0.1 (not 'localhost') on the port given in argv (default 25000,
#   the recipe's);
# - the element count comes from argv (default the book's 50,000,000 doubles, 400 MB);
# - two lines at the end check every element and print the sum.
# Needs NumPy (Debian: /usr/bin/python3, with python3-numpy).
#
# usage: /usr/bin/python3 recipe_client.py [PORT] [COUNT]
import sys
from zerocopy import recv_into
from socket import *

port = int(sys.argv[1]) if len(sys.argv) > 1 else 25000
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50000000

c = socket(AF_INET, SOCK_STREAM)
c.connect(('127.0.0.1', port))

import numpy
a = numpy.zeros(shape=count, dtype=float)
print(a[0:10])
recv_into(a, c)
print(a[0:10])
print(a[-10:])

# added: every element checked, and the sum
print('arange:', numpy.array_equal(a, numpy.arange(0.0, float(count))))
print('sum:', int(a.sum()))
