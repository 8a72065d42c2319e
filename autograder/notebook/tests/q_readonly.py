OK_FORMAT = True

test = {   'name': 'q_readonly',
    'points': 2,
    'suites': [   {   'cases': [   {'code': ">>> type(q_readonly) is str and q_readonly.strip().lower() in ('a', 'b', 'c', 'd')\nTrue", 'hidden': False, 'locked': False, 'points': 0.5},
                                   {'code': ">>> type(q_readonly) is str and q_readonly.strip().lower() == 'b'\nTrue", 'hidden': True, 'locked': False, 'points': 1.5}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
