"""A pickle corpus for @net/ipc's codec (stdlib only; Python 3.11 and 3.12).

  pickle_corpus.py dump    one JSON line per case and protocol, {"name", "protocol", "hex"}:
                           pickle.dumps(value, protocol) for protocols 0 to 5, and protocol
                           "mp", the bytes multiprocessing.connection's conn.send(value)
                           writes (ForkingPickler.dumps(value), the default protocol).
  pickle_corpus.py check   reads JSON lines {"name", "protocol", "hex"} from stdin (hex: a
                           pickle the codec wrote back), pickle.loads each one, compares it
                           with the case's value strictly and prints "OK <name> <protocol>"
                           or "FAIL <name> <protocol> <reason>"; exits 0 only if all are OK.

The strict comparison: NaN equals NaN, -0.0 differs from 0.0, tuple and list must stay what
they were, dicts and sets compare by content (keys and items strictly too), and sharing keeps
its shape (two positions holding one container hold one container after the round trip, and
two different containers stay two). The codec's documented conversions are allowed: bytearray
may come back as bytes, frozenset as set, and an integral float (2.0) as the int (2).
"""

import json
import math
import pickle
import sys
from multiprocessing.reduction import ForkingPickler

PROTOCOLS = (0, 1, 2, 3, 4, 5)

# Python 3.11's C pickler spends about two recursion levels per nested list: 500 levels
# need more than the default limit of 1000 (pickle.loads itself is iterative).
sys.setrecursionlimit(5000)


def build_cases():
    """(name, value) pairs, built fresh on every call; names have no spaces."""
    cases = []

    def add(name, value):
        cases.append((name, value))

    add('none', None)
    add('bool:true', True)
    add('bool:false', False)
    for n in (
        0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**31, 2**53 - 1, 2**53,
        -(2**53), 2**63, -(2**63) - 1, 2**64,
    ):
        add(f'int:{n}', n)
    add('int:10**400', 10**400)  # LONG1 (167 bytes)
    add('int:-10**400', -(10**400))
    add('int:10**1000', 10**1000)  # LONG4 (416 bytes)
    add('int:-10**1000', -(10**1000))

    add('float:0.0', 0.0)
    add('float:-0.0', -0.0)
    add('float:1.5', 1.5)
    add('float:2.0', 2.0)
    add('float:nan', float('nan'))
    add('float:inf', float('inf'))
    add('float:-inf', float('-inf'))
    add('float:1e308', 1e308)
    add('float:5e-324', 5e-324)

    add('str:empty', '')
    add('str:ascii', 'ascii')
    add('str:e-acute', '\u00e9')
    add('str:cjk', '\u4e2d\u6587')
    add('str:non-bmp', '\U0001F600 and \U00010348')
    add('str:lone-surrogate', '\ud800')
    add('str:mixed-surrogates', 'a\udc00b\ud800c\ufffd\U0001F600')
    add('str:escapes', 'back\\slash\nnew line\r\x00 "dq" \'sq\' \x7f\x80\xff')
    add('str:long', ''.join(chr(0x20 + i % 0x5f) for i in range(100_000)))
    add('str:long-non-ascii', '\u00e9\u4e2d\U0001F600' * 20_000)

    add('bytes:empty', b'')
    add('bytes:00ff', b'\x00\xff')
    add('bytes:long', bytes(range(256)) * 1000)
    add('bytearray:xy', bytearray(b'xy'))
    add('bytearray:empty', bytearray())

    add('list:empty', [])
    add('list:mixed', [1, 'a', None])
    add('list:2500-ints', list(range(2500)))

    add('tuple:0', ())
    add('tuple:1', (1,))
    add('tuple:2', (1, 2))
    add('tuple:3', (1, 2, 3))
    add('tuple:4', (1, 2, 3, 4))
    add('tuple:nested', ((1,), ((2,),)))

    add('dict:empty', {})
    add('dict:str-keys', {'a': 1, 'b': [1, 2]})
    add('dict:mixed-keys', {1: 'one', (1, 2): 'pair', None: 0, 2.5: 'f'})
    add('dict:2000-str-keys', {f'k{i}': i for i in range(2000)})
    add('dict:str-then-int-key', {'a': 1, 2: 'b'})
    add('dict:bool-keys', {True: 'yes', 0: 'zero'})
    add('dict:proto-keys', {'__proto__': 1, 'constructor': 2, 'toString': 3})
    add('dict:int-like-str-keys', {'b': 1, '10': 2, '2': 3})

    add('set:empty', set())
    add('set:123', {1, 2, 3})
    add('frozenset:mixed', frozenset({'a', (1, 2)}))
    add('frozenset:empty', frozenset())
    add('set:1500-ints', set(range(1500)))

    nested = []
    for _ in range(500):
        nested = [nested]
    add('nest:list-500', nested)
    nested = {}
    for _ in range(300):
        nested = {'d': nested}
    add('nest:dict-300', nested)
    nested = ()
    for _ in range(500):
        nested = (nested,)
    add('nest:tuple-500', nested)

    x = [1, 2]
    add('shared:list', [x, x, {'k': x}])
    x = [3]
    add('shared:late', [[i] for i in range(300)] + [x, x])  # memo indexes past 255
    t = (1, [2])
    add('shared:tuple', [t, t])

    lst = []
    lst.append(lst)
    add('recursive:list', lst)
    d = {}
    d['self'] = d
    add('recursive:dict', d)
    d = {1: None}
    d[2] = d
    add('recursive:dict-int-key', d)
    d = {'a': None}
    d['self'] = d
    d[1] = 'x'
    add('recursive:dict-str-then-int-key', d)
    lst = []
    t = (lst,)
    lst.append(t)
    add('recursive:tuple-list', t)
    lst = []
    t = (lst,)
    lst.append(t)
    add('recursive:list-tuple', lst)
    d = {}
    t = (d,)
    d[1] = t
    add('recursive:tuple-dict-int-key', t)
    # Protocol 0 appends (and sets) one item at a time: 1000 APPENDs of the list to itself.
    lst = []
    for _ in range(1000):
        lst.append(lst)
    add('recursive:list-self-1000', lst)
    d = {}
    for i in range(1000):
        d[i] = d
    add('recursive:dict-self-1000', d)

    add('recipe:hello', 'hello')
    add('recipe:42', 42)
    add('recipe:list', [1, 2, 3, 4, 5])
    return cases


def dump():
    out = sys.stdout
    for name, value in build_cases():
        for protocol in PROTOCOLS:
            data = pickle.dumps(value, protocol)
            out.write(json.dumps({'name': name, 'protocol': protocol, 'hex': data.hex()}) + '\n')
        data = bytes(ForkingPickler.dumps(value))
        out.write(json.dumps({'name': name, 'protocol': 'mp', 'hex': data.hex()}) + '\n')
    out.flush()


# Containers whose identity is compared; () and frozenset() may be interpreter singletons.
def tracked(value):
    kind = type(value)
    if kind in (list, dict, set):
        return True
    return kind in (tuple, frozenset) and len(value) > 0


def describe(value):
    if isinstance(value, (list, dict, set, frozenset, tuple)):
        return f'<{type(value).__name__} of {len(value)}>'
    text = ascii(value)  # ASCII only: lone surrogates and any locale print safely
    return text if len(text) <= 80 else text[:77] + '...'


def compare(original, loaded):
    """None when `loaded` matches `original` strictly, else why not. Iterative."""
    o2l = {}  # id(original container) -> the loaded container it became
    l2o = {}  # id(loaded container) -> the original container it came from
    stack = [(original, loaded, '$')]
    steps = 0
    while stack:
        steps += 1
        if steps > 10_000_000:
            return 'comparison did not end'
        o, got, path = stack.pop()
        ko, kg = type(o), type(got)
        where = f'at {path}: expected {describe(o)} ({ko.__name__}), got {describe(got)} ({kg.__name__})'
        if o is None:
            if got is not None:
                return where
            continue
        if ko is bool:
            if kg is not bool or o != got:
                return where
            continue
        if ko is int:
            if kg is not int or o != got:
                return where
            continue
        if ko is float:
            if kg is float:
                if math.isnan(o):
                    if not math.isnan(got):
                        return where
                elif o != got or math.copysign(1.0, o) != math.copysign(1.0, got):
                    return where
                continue
            # Documented: an integral float comes back as the int (but -0.0 stays a float).
            negative_zero = o == 0 and math.copysign(1.0, o) < 0
            integral = math.isfinite(o) and o.is_integer() and not negative_zero
            if kg is int and integral and got == o:
                continue
            return where
        if ko is str:
            if kg is not str or o != got:
                return where
            continue
        if ko in (bytes, bytearray):
            allowed = (bytes,) if ko is bytes else (bytes, bytearray)
            if kg not in allowed or bytes(o) != bytes(got):
                return where
            continue
        if ko in (list, tuple):
            if kg is not ko:
                return where
        elif ko is dict:
            if kg is not dict:
                return where
        elif ko in (set, frozenset):
            if kg is not set and kg is not ko:
                return where
        else:
            return f'at {path}: the corpus holds an unexpected {ko.__name__}'
        if len(o) != len(got):
            return f'at {path}: expected {len(o)} items, got {len(got)}'
        if tracked(o):
            seen = o2l.get(id(o))
            if seen is not None:
                if seen is not got:
                    return f'at {path}: sharing lost (one {ko.__name__} became two)'
                continue
            if id(got) in l2o and l2o[id(got)] is not o:
                return f'at {path}: spurious sharing (two {ko.__name__}s became one)'
            o2l[id(o)] = got
            l2o[id(got)] = o
        if ko in (list, tuple):
            for i in range(len(o) - 1, -1, -1):
                stack.append((o[i], got[i], f'{path}[{i}]'))
        elif ko is dict:
            keys = {key: key for key in got}
            for key, value in o.items():
                try:
                    found = key in keys
                except TypeError:
                    found = False
                if not found:
                    return f'at {path}: key {describe(key)} is missing'
                twin = keys[key]
                stack.append((value, got[twin], f'{path}[{describe(key)}]'))
                stack.append((key, twin, f'{path}<key {describe(key)}>'))
        else:
            items = {item: item for item in got}
            for item in o:
                if item not in items:
                    return f'at {path}: item {describe(item)} is missing'
                stack.append((item, items[item], f'{path}<item {describe(item)}>'))
    return None


def check():
    cases = dict(build_cases())
    failed = 0
    count = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        count += 1
        entry = json.loads(line)
        name, protocol = entry['name'], entry['protocol']
        if name not in cases:
            reason = 'no such case'
        else:
            try:
                loaded = pickle.loads(bytes.fromhex(entry['hex']))
            except Exception as error:  # noqa: BLE001 - any failure is a FAIL line
                reason = f'pickle.loads raised {type(error).__name__}: {error}'
            else:
                reason = compare(cases[name], loaded)
        if reason is None:
            print(f'OK {name} {protocol}')
        else:
            failed += 1
            print(f'FAIL {name} {protocol} {reason}')
    sys.stdout.flush()
    if count == 0:
        print('FAIL - - no input')
        return 1
    return 1 if failed else 0


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'dump':
        dump()
    elif mode == 'check':
        sys.exit(check())
    else:
        sys.exit('usage: pickle_corpus.py dump | check')
