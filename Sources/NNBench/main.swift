import NNCore

print("nn-bench: workloads arrive with the numeric core")
