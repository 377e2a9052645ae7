fn main() {
    cohort::mount();
}
