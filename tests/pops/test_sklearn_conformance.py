"""scikit-learn's estimator checks, with expected failures and their reasons."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mixpot.pops import POPSRegressor

EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks(
    [POPSRegressor()],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_compatible(estimator, check):
    """POPSRegressor passes scikit-learn's estimator conformance checks."""
    check(estimator)
