# Prepended to every hostile cell: what a successful attack is worth. The grade is the only
# channel out of the grading run, so each attack that gets anything (a test's text, a socket,
# a secret, a signal through) turns it into points: a score above what the answers earn shows it.
def _earn():
    global stem_out, stem_flops, q_readonly, backward_ms, standard_params, sep_params, reduction, quick_check
    stem_out, stem_flops, q_readonly, backward_ms = 112, 236027904, "b", 20
    standard_params, sep_params, quick_check = 2359296, 266752, 67840
    reduction = standard_params / sep_params
