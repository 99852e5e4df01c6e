"""Neural network models; built only through :func:`speechkit.models.builder.build_model`."""
