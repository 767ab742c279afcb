# Recipe 11.1 of the Python Cookbook (3rd ed.), "Interacting with HTTP Services As a
# Client": the recipe's urllib code as printed, a GET with query parameters, then a POST
# of the same parameters as a form with extra headers (its third listing). Changed only so
# that a test can run it: the base URL comes from argv (default http://httpbin.org, the
# recipe's) and each response is printed.
#
# usage: python3 recipe.py [BASE_URL]
import sys
from urllib import request, parse

base = sys.argv[1] if len(sys.argv) > 1 else 'http://httpbin.org'

# Base URL being accessed
url = base + '/get'

# Dictionary of query parameters (if any)
parms = {
   'name1' : 'value1',
   'name2' : 'value2'
}

# Encode the query string
querystring = parse.urlencode(parms)

# Make a GET request and read the response
u = request.urlopen(url+'?' + querystring)
resp = u.read()
print(resp.decode('utf-8'))

# Base URL being accessed
url = base + '/post'

# Extra headers
headers = {
    'User-agent' : 'none/ofyourbusiness',
    'Spam' : 'Eggs'
}

req = request.Request(url, querystring.encode('ascii'), headers=headers)

# Make a request and read the response
u = request.urlopen(req)
resp = u.read()
print(resp.decode('utf-8'))
