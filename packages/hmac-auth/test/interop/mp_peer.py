"""multiprocessing.connection's Listener or Client with an authkey, as a peer for our
deliverChallenge / answerChallenge.

usage: mp_peer.py listener KEY_HEX          prints the port; accept() authenticates (deliver,
                                            then answer), then echoes one message upper-cased
       mp_peer.py client PORT KEY_HEX       Client() authenticates (answer, then deliver),
                                            sends b'hello' and prints the reply
Prints 'AUTH_ERROR' when the handshake fails with AuthenticationError.
"""
import sys
from multiprocessing.connection import AuthenticationError, Client, Listener


def main():
    role = sys.argv[1]
    if role == 'listener':
        key = bytes.fromhex(sys.argv[2])
        with Listener(('127.0.0.1', 0), authkey=key) as listener:
            print(listener.address[1], flush=True)
            try:
                conn = listener.accept()
            except AuthenticationError as error:
                print('AUTH_ERROR', error, flush=True)
                return
            print('AUTH_OK', flush=True)
            msg = conn.recv_bytes()
            conn.send_bytes(msg.upper())
            conn.close()
    else:
        port, key = int(sys.argv[2]), bytes.fromhex(sys.argv[3])
        try:
            conn = Client(('127.0.0.1', port), authkey=key)
        except AuthenticationError as error:
            print('AUTH_ERROR', error, flush=True)
            return
        conn.send_bytes(b'hello')
        print('REPLY', conn.recv_bytes().decode(), flush=True)
        conn.close()


main()
