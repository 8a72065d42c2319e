# module: winograd
# loses: winograd
# feedback: timed out
while True:
    pass
