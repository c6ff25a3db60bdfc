"""The operator's Kubernetes API (group ``hyperscore.dev``, version ``v1alpha1``).

``models`` holds the pydantic models of MaturityAssessment, MaturityReview and ScoringPolicy;
``crdgen`` turns them into the CustomResourceDefinitions in ``crds/`` and the Helm chart.
"""
