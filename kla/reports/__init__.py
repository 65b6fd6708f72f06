"""Documents for the task force: the Excel recap, the PDF progress report, the evidence bundle.

The documents are Indonesian (they go to Indonesian officials); only the pages that offer
them are translated. Each builder reads the period in a fixed number of queries.
"""
