"""In the function's CodeUri, but the Makefile's rule does not copy it into the artifact."""

WHERE = "CodeUri"
