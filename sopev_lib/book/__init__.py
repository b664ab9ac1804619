"""What the chapters of the book share: glue and table helpers, the figure style and the
figures of each chapter. The only layer that imports matplotlib besides the CLI's callers."""
