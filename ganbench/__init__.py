"""ganbench: a benchmark harness for GANs in the style of Lucic et al. 2018."""
__version__ = "0.1.0"
