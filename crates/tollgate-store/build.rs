// `sqlx::migrate!` embeds the migration files at compile time; without this a new migration
// would not reach an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
