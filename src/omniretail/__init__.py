"""omniretail: the digital marketing and service system of a new-retail store chain."""

__version__ = "0.1.0"
