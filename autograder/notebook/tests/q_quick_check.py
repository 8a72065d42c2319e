OK_FORMAT = True

test = {   'name': 'q_quick_check',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import numbers\n>>> isinstance(quick_check, numbers.Real) and (not isinstance(quick_check, bool)) and (quick_check > 0)\nTrue',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0.25},
                                   {'code': '>>> int(quick_check) == 67840\nTrue', 'hidden': True, 'locked': False, 'points': 0.75}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
