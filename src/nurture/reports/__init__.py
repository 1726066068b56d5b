"""Reports: results → HTML (inline SVG figures), PDF, XLSX."""
