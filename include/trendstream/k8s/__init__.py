"""Kubernetes manifests built from settings (no cluster access, no Airflow imports)."""
