"""Feature extraction driven by the classifier section of the policy: pure, no I/O."""
