"""The figures of the book, one module per chapter; each function takes computed results and
returns a matplotlib Figure (style from :mod:`sopev_lib.book.style`)."""
