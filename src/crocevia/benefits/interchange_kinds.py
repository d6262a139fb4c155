"""Found by the interchange registry (autodiscovered `interchange_kinds` modules): the
`benefit_applications` and `cases` kinds, which live with the other kinds."""

from crocevia.interchange.kinds import benefit_applications, cases  # noqa: F401
