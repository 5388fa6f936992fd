"""Plans: the ordered changes a diff produces, the guards, and saved plan files."""
