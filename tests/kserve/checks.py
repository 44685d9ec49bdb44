"""What the tritonclient test scripts share: check() and running named checks."""
import sys
import traceback


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run_checks(tests, expected=(AssertionError,)):
    """Runs every (name, fn); prints PASS/FAIL lines (a traceback for an
    unexpected exception type) and "N passed, M failed"; returns the exit status."""
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print(f"PASS {name}")
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {name}: {e}")
            if not isinstance(e, expected):
                traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
