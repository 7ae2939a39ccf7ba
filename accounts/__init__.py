"""People who sign in with e-mail and password: accounts, sessions, licences held, teams."""
