print("labstream")
