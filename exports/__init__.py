"""Figures and frames to files: PNG/SVG/PDF through one warm Kaleido renderer, the PDF report
(fpdf2), the Excel workbook (xlsxwriter) and CSV. Returns bytes or writes to a path; no Dash."""
