//! placeholder: the KFST transducer reader lands here.
