OK_FORMAT = True

test = {   'name': 'q_stem',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numbers\n>>> all((isinstance(v, numbers.Real) and (not isinstance(v, bool)) and (v > 0) for v in (stem_out, stem_flops)))\nTrue',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0.5},
                                   {'code': '>>> int(stem_out) == 112\nTrue', 'hidden': True, 'locked': False, 'points': 0.5},
                                   {'code': '>>> int(stem_flops) == 236027904\nTrue', 'hidden': True, 'locked': False, 'points': 1}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
