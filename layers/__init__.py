"""City base layers: districts, addresses, facilities and the layer catalogue."""
