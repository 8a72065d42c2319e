OK_FORMAT = True

test = {   'name': 'q_separable',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import numbers\n'
                                               '>>> all((isinstance(v, numbers.Real) and (not isinstance(v, bool)) and (v > 0) for v in (standard_params, sep_params, reduction)))\n'
                                               'True',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0.5},
                                   {'code': '>>> int(standard_params) == 2359296\nTrue', 'hidden': True, 'locked': False, 'points': 0.5},
                                   {'code': '>>> int(sep_params) == 266752\nTrue', 'hidden': True, 'locked': False, 'points': 1},
                                   {'code': '>>> abs(float(reduction) - 2359296 / 266752) < 0.05\nTrue', 'hidden': True, 'locked': False, 'points': 1}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
