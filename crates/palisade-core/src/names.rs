//! Enums spelled by one fixed name per variant.

/// Gives a fieldless `Copy` enum an `as_str` read from a table of variant
/// names, and a `Display` that writes that name.
///
/// The doc comments before the type name document the generated `as_str`.
///
/// ```
/// #[derive(Clone, Copy)]
/// enum Color {
///     Red,
///     Blue,
/// }
///
/// palisade_core::names! {
///     /// The lower-case name.
///     Color {
///         Red => "red",
///         Blue => "blue",
///     }
/// }
///
/// assert_eq!(Color::Red.as_str(), "red");
/// assert_eq!(Color::Blue.to_string(), "blue");
/// ```
#[macro_export]
macro_rules! names {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            $(#[$doc])*
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
