"""The login through a real jupyter-server-proxy (several releases), as on Binder and JupyterHub."""
