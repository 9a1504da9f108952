"""User rules as data: the rule format (spec) and its three-valued evaluation."""
