/* placeholder, written below */
int main (void) { return 77; }
