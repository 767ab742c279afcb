# zerocopy.py: the functions of recipe 11.13 of the Python Cookbook (3rd ed.), "Sending and
# Receiving Large Arrays", as the book gives them, with one change: recv_into stops at end
# of stream (the book's loops forever when the peer closes early, as recv_into then
# returns 0 each time), so a test whose server fails ends instead of spinning.

def send_from(arr, dest):
    view = memoryview(arr).cast('B')
    while len(view):
        nsent = dest.send(view)
        view = view[nsent:]

def recv_into(arr, source):
    view = memoryview(arr).cast('B')
    while len(view):
        nrecv = source.recv_into(view)
        if nrecv == 0:
            raise EOFError('the peer closed with {} bytes still to come'.format(len(view)))
        view = view[nrecv:]
