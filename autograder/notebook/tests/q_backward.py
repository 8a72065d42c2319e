OK_FORMAT = True

test = {   'name': 'q_backward',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numbers\n>>> isinstance(backward_ms, numbers.Real) and (not isinstance(backward_ms, bool)) and (backward_ms > 0)\nTrue',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0.5},
                                   {'code': '>>> 18 <= float(backward_ms) <= 22\nTrue', 'hidden': True, 'locked': False, 'points': 1.5}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
