"""State statistical report forms (ОШ-1, 85-К, 1-профтех, 2-НК, 3-НК, 77) from the registers.

Forms are data (``forms/*.yml``); ``metrics`` fetches per-organization facts as of a reporting
date; ``fill`` sums them into cells; ``ratios`` checks the control ratios; ``render`` writes
the workbook; ``cli`` is ``emis report``.
"""
