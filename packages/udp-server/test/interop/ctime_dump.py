"""Prints time.ctime(t) for each Unix timestamp given on the command line, one per line."""
import sys
import time

for arg in sys.argv[1:]:
    print(time.ctime(int(arg)))
