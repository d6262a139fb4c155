import importlib
import io

# The command module is named after the command, `import`, a Python keyword.
ProgressPrinter = importlib.import_module(
    "crocevia.interchange.management.commands.import"
).ProgressPrinter


def test_progress_bar_on_a_terminal_shows_rate_and_time_left():
    out = io.StringIO()
    progress = ProgressPrinter(out, tty=True)
    progress("import", 2000, 0.25)
    progress("import", 8000, 1.0)
    progress.end()
    text = out.getvalue()
    assert text.count("\r") == 2 and "[" in text and "/s" in text and "8,000" in text
    assert text.endswith("\n")


def test_plain_log_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = ProgressPrinter(out, tty=False)
    progress("import", 2000, 0.25)
    progress("import", 4000, 0.5)  # within five seconds of the last line: not printed
    progress("import", 8000, 1.0)
    progress.end()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in out.getvalue()
    assert lines[-1].startswith("import: 8000") or "8000" in lines[-1]
