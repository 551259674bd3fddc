import os

# scikit-learn's check_array_api_input (numpy namespace) runs only when SciPy's
# array API mode is on, and SciPy reads this variable once, at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
